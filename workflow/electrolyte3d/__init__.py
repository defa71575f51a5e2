"""electrolyte3d: Li+ transport in 3D-structured solid electrolytes, from config to meshes to results."""

__version__ = "0.1.0"
