#!/bin/sh
# Compile, run the unit tests, and lay out the artifact in dist/: every machine builds the same way.
set -e
cd "${SOURCE_PATH:-/workspace}"
echo "Compiling"
python3 -m py_compile app/notes.py
echo "Running unit tests"
python3 -m unittest discover -s tests -v
echo "Laying out dist/"
rm -rf dist && mkdir -p dist
cp app/notes.py VERSION dist/
echo "Build successful: dist/notes.py"
