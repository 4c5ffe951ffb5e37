"""Code shared by the DISA handlers; the deploy tool bundles it into every function's zip."""
