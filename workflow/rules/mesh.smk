rule mesh:
    input:
        model=rules.geometry.output.model,
    output:
        mesh="results/geometries/{geometry}/mesh/level{level}.msh",
        report="results/geometries/{geometry}/mesh/level{level}.json",
        electrolyte="results/geometries/{geometry}/mesh/level{level}.npz",
        electrode="results/geometries/{geometry}/mesh/level{level}.electrode.npz",
    log:
        "results/logs/mesh/{geometry}_level{level}.log",
    benchmark:
        "results/benchmarks/mesh/{geometry}_level{level}.tsv"
    group:
        point_group
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=mesh_level_memory_mb,
        runtime=mesh_level_runtime_min,
    params:
        geometry=geometry_params,
        mesh=geometry_mesh_settings,
        electrode_solved=lambda wildcards: GEOMETRIES[wildcards.geometry].electrode_solved,
    script:
        "../scripts/mesh.py"


rule mesh_report:
    input:
        reports=every_mesh("results/geometries/{geometry}/mesh/level{level}.json"),
        benchmarks=every_mesh("results/benchmarks/mesh/{geometry}_level{level}.tsv"),
    output:
        table="results/mesh_report.csv",
    log:
        "results/logs/mesh_report.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cases=GEOMETRY_CASES,
    script:
        "../scripts/mesh_report.py"


rule mesh_preview:
    input:
        mesh="results/geometries/{geometry}/mesh/level0.msh",
    output:
        picture="results/geometries/{geometry}/mesh/preview.png",
    log:
        "results/logs/mesh_preview/{geometry}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        dpi=150,
    script:
        "../scripts/mesh_preview.py"
