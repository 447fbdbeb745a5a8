# Sphinx configuration of the API reference.

project = 'cinder-backup-reset API reference'
master_doc = 'index'
html_theme = 'alabaster'
