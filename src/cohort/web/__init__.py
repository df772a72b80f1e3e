"""HTTP plumbing shared by every controller: errors, request ids, health, paging parameters."""
