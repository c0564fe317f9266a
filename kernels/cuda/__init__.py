"""GPU kernels (``@cuda.jit``) and their host launchers for the cuda backend: ``device`` (launch
sizes, strided storage), ``elementwise``, ``reduce``, ``matmul``, ``softmax``, ``optim``, ``index``,
``conv``, ``creation``, ``random``, ``arg_reduce``, ``cross_entropy``, ``pooling``,
``advanced_index``; ``minigrad/backends/cuda_backend.py`` calls them. Importing this package imports nothing; a module imports ``numba.cuda`` when imported."""
