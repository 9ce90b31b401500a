"""Benchmarks: run as ``python -m benchmarks.NAME``; each prints what it ran on."""

import os
import platform


def machine_line() -> str:
    """One line: Python, NumPy, the BLAS library and kernel that runs (threadpoolctl), any OpenBLAS pin."""
    import numpy as np

    import recurrent

    parts = [
        f"recurrent {recurrent.__version__}",
        f"backend {recurrent.get_backend()}",
        f"Python {platform.python_version()}",
        f"NumPy {np.__version__}",
    ]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        parts.append("BLAS kernel unknown (pip install threadpoolctl)")
    else:
        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                parts.append(
                    f"{lib.get('internal_api')} {lib.get('version')} kernel {lib.get('architecture')} "
                    f"threads {lib.get('num_threads')}"
                )
    pins = [f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    parts.append("pinned " + " ".join(pins) if pins else "no OpenBLAS pin")
    return ", ".join(parts)
