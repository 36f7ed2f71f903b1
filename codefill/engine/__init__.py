"""Engines: what turns a prompt into tokens. The local llama.cpp engine and its seam."""
