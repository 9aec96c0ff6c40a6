#!/bin/sh
# Restore dependencies, check formatting, run the unit tests, bundle: every machine builds the same way.
set -e
cd "${SOURCE_PATH:-/workspace}"
echo "Restoring dependencies"
npm ci --no-audit --no-fund --loglevel=error
echo "Checking formatting"
npm run --silent format:check
echo "Running unit tests"
npm test --silent
echo "Bundling"
npm run --silent bundle
echo "Build successful: dist/auth-service.cjs"
