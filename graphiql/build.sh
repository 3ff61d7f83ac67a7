#!/usr/bin/env bash
# Rebuilds assets/ from the versions pinned in package.json and
# package-lock.json: the production bundles of React, ReactDOM and GraphiQL
# (UMD, so the page needs no bundler and no other host), and their licences.
# Run it after changing a version, then commit assets/.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts --prefer-offline
rm -rf assets
mkdir -p assets
cp node_modules/react/umd/react.production.min.js assets/
cp node_modules/react-dom/umd/react-dom.production.min.js assets/
cp node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css assets/
{
  for pkg in react react-dom graphiql; do
    version=$(node -p "require('./node_modules/$pkg/package.json').version")
    printf '%s %s\n\n' "$pkg" "$version"
    cat "node_modules/$pkg/LICENSE"
    printf '\n\n'
  done
} > assets/THIRD_PARTY_LICENSES.txt
# The bundles name their source maps, which are not shipped.
sed -i '/^\/\/# sourceMappingURL=/d; s#/\*\# sourceMappingURL=[^*]*\*/##' assets/*.js assets/*.css
ls -l assets
