"""The waterfall as numpy statements over all paths, one period and one step at a time: the
implementation `sim.abs.waterfall` had before its period became one compiled kernel, kept
unchanged as the reference the kernel must match exactly (``tests/test_waterfall_kernel.py``).
"""
