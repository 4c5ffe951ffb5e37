"""Rendering results to text and the JSON summary; the only layer besides the CLI that
imports click."""
