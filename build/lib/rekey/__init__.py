"""Objects already stored: find those not stored as the settings say, and re-key them.

`python -m rekey.audit` (make audit) counts every object version by how it is stored;
`python -m rekey.rekey` (make rekey) turns an audit report into S3 Batch Operations
jobs (S3UpdateObjectEncryption) to the project key. docs/design.md, "Existing objects".
"""
