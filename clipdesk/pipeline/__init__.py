"""The pipeline a photo takes: scan, watch, embed (in lanes), and the opened library that runs
it."""
