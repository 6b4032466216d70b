#!/usr/bin/env node
import '../out/cli/tunscope.mjs'
