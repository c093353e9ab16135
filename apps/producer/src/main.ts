#!/usr/bin/env node
// The producer app is a skeleton: issue 5 (the master-worker system) builds it on the recipes.
process.stderr.write('zk-lab producer: not built yet (see the README, "Status").\n');
process.exitCode = 1;
