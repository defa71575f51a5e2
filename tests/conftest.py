import os
from pathlib import Path

import pytest

# the suite's systems are small: one MKL thread is faster for them than two that compete with
# the rest of the machine (a solve job sets its own from its rule's threads)
os.environ.setdefault("MKL_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]

TINY_SETTINGS = {
    "physics": {"D_plus": 6.6e-10, "charge_transfer_resistance_ohm": 435.3},
    "solver": {"end_time_s": 10, "report_first_s": 1, "report_count": 3},
    "mesh": {
        "max_levels": 3,
        "electrolyte_size_um": 12.0,
        "interface_size_um": 6.0,
        "corner_size_um": 1.5,
        "electrode_size_um": 100,
    },
}
"""Physics, a 10 s transient and a coarse 3-level ladder: the end-to-end tests' small studies."""


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
