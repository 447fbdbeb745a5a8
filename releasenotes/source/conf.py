# Sphinx configuration of the release notes (reno).

project = 'cinder-backup-reset release notes'
extensions = ['reno.sphinxext']
master_doc = 'index'
html_theme = 'alabaster'
