"""Architecture diff: two models in, findings out (HTTP and event contracts, architecture), printed for reviewers."""
