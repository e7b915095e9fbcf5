#!/usr/bin/env bash
# The whole suite, as CI runs it (`npm test`): build, typecheck, lint (module boundaries and Prettier included),
# then the three tiers. Integration and e2e tiers run against real Postgres, Kafka and MinIO that
# tools/infra starts natively (cached) unless CAIRN_TEST_* endpoints are already given.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "build (prisma generate + swc)"
node tools/build.mjs
step "typecheck"
npx tsc -p tsconfig.json
npx tsc -p apps/web/tsconfig.json
step "lint (ESLint project by project, then prettier --check)"
node tools/lint.mjs
step "unit tier (*.spec.ts)"
npx jest -c jest.config.ts --selectProjects unit
step "integration + e2e tiers (real Postgres, Kafka, MinIO, mlflow clients)"
bash tools/infra/with-infra.sh bash -c '
  set -e
  npx jest -c jest.config.ts --selectProjects int --runInBand
  npx jest -c jest.config.ts --selectProjects e2e --runInBand
'
