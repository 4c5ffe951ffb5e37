"""disa-deploy: package, deploy and destroy the DISA system on AWS or the local emulator."""

__version__ = "0.1.0"
