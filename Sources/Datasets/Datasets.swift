// Dataset discovery and validation, preprocessing, mask encoding and ablation, loading.
