"""The engine's child process: everything that touches llama.cpp lives here."""
