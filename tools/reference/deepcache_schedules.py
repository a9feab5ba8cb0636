#!/usr/bin/env python3
"""Independent reference for DeepCache's non-uniform schedule (numpy only).

DeepCache (horseee/DeepCache) chooses the full-UNet steps of its non-uniform schedule with
`sample_from_quad_center(total, n, center, pow)`: n + 1 points spaced evenly between (-center)^(1/pow) and
(total - center)^(1/pow) -- complex numbers when the base is negative, as Python's ** makes them -- are raised to
pow; the truncated real parts, deduplicated and sorted, lose their smallest and largest values and are shifted by
center; step 0 is prepended. When that is not n steps, pow is lowered by 0.02 and the search repeats (pow <= 1:
no schedule). The pipeline asks for n = ceil(steps / interval) full steps.

Written from that description with numpy's own complex arithmetic, independently of the Java port
(orchestrator/.../deepcache/NonUniformCacheSchedule.java). Its output, deepcache_schedules.json beside this file,
is what CacheScheduleTest asserts. Regenerate with:  python3 tools/reference/deepcache_schedules.py
"""
import json
import math
import pathlib
import warnings

import numpy as np

warnings.simplefilter("ignore", np.exceptions.ComplexWarning if hasattr(np, "exceptions") else Warning)

# (steps, interval, center, pow): the README's example, the test's cases, and short runs that lower the power
CASES = [(50, 5, 15, 1.4), (50, 3, 15, 1.4), (50, 2, 15, 1.4), (20, 3, 15, 1.4), (20, 5, 15, 1.4), (5, 2, 15, 1.4),
         (30, 4, 10, 1.3), (100, 10, 30, 1.5), (10, 2, 5, 1.4)]


def quad_center(total, n, center, power):
    p = power
    while p > 1:
        lo = complex(-center) ** (1 / p)
        hi = complex(total - center) ** (1 / p)
        points = np.linspace(lo, hi, n + 1)
        ints = np.unique(np.real(points ** p).astype(np.int32))
        steps = [0] + [int(x) + int(center) for x in ints[1:-1]]
        if len(steps) == n:
            return steps, round(p, 10)
        p -= 0.02
    return None, None


def main():
    out = []
    for steps, interval, center, power in CASES:
        n = math.ceil(steps / interval)
        full, used = quad_center(steps, n, center, power)
        out.append({"steps": steps, "interval": interval, "center": center, "pow": power, "n": n,
                    "full_steps": full, "pow_used": used})
    path = pathlib.Path(__file__).with_name("deepcache_schedules.json")
    path.write_text(json.dumps({"generator": "tools/reference/deepcache_schedules.py", "numpy": np.__version__,
                                "cases": out}, indent=1) + "\n")
    for c in out:
        print(c)


if __name__ == "__main__":
    main()
