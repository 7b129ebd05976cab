"""The workload shipped to the nodes: SFT trainer, dataset preparation, collective benchmark.

Pure package: run with ``PYTHONPATH=files python -m h200_workload.<module>``; nothing to install.
"""
