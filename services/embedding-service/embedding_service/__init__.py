"""embedding-service: vector collections, k-nearest-neighbour search and the ontology object index."""
