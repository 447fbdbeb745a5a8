# Sphinx configuration of the cinder-backup-reset documentation.

project = 'cinder-backup-reset'
copyright = '2026, cinder-backup-reset developers'
extensions = [
    'oslo_config.sphinxext',
    'oslo_policy.sphinxext',
]
master_doc = 'index'
exclude_patterns = ['_build']
html_theme = 'alabaster'
