"""What every TwinTag process's Flask app shares: errors, request ids, metrics, health, caller checks."""
