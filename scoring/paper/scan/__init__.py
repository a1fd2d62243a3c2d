"""Machine-readable paper forms (扫描计票).

Print (``form``), rasterise uploads (``pages``), read (``reader``), assemble a batch into forms
(``batch``); ``layout`` is the geometry both sides share, ``synthetic`` the test-data generator.
Import the modules themselves: this package imports nothing heavy on its own.
"""
