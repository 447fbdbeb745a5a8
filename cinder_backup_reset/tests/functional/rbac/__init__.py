"""The authorization matrix (Ironic's YAML RBAC-matrix style)."""
