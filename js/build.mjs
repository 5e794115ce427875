// Build the dashboard's scripts into <outdir>: node build.mjs <outdir>
//   plotly-atlas.min.js         - plotly.js with only the traces the dashboard draws (entry.js)
//   regenerator-runtime.min.js  - the one part of Dash's @babel/polyfill that Dash's scripts use (its lazy-loaded
//                                 components call the global regeneratorRuntime); the rest of that polyfill is
//                                 core-js 2, which on a current browser only replaces native methods with slower ones
// Reproducible: pinned esbuild, plotly.js and regenerator-runtime (package-lock.json), no timestamps.
import { build } from 'esbuild';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const outdir = process.argv[2];
if (!outdir) {
    console.error('usage: node build.mjs <outdir>');
    process.exit(2);
}
const version = require('plotly.js/package.json').version;

// plotly.js requires maplibre's CSS only when a "map" subplot is registered; this bundle registers none.
const noCss = {
    name: 'no-css',
    setup(b) {
        b.onResolve({ filter: /\.css$/ }, (args) => ({ path: args.path, namespace: 'no-css' }));
        b.onLoad({ filter: /.*/, namespace: 'no-css' }, () => ({ contents: '', loader: 'js' }));
    },
};

await build({
    entryPoints: ['entry.js'],
    outfile: `${outdir}/plotly-atlas.min.js`,
    bundle: true,
    format: 'iife',
    globalName: 'Plotly',
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    target: 'es2016',
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    plugins: [noCss],
    banner: { js: `/**\n* plotly.js v${version} (Atlas ZMP partial bundle: bar, choropleth, scatter, scattergeo)\n* Copyright 2012-2026, Plotly, Inc. Licensed under the MIT license\n*/` },
    logLevel: 'warning',
});

// runtime.js as a classic script: it sets the global regeneratorRuntime itself
await build({
    entryPoints: ['node_modules/regenerator-runtime/runtime.js'],
    outfile: `${outdir}/regenerator-runtime.min.js`,
    bundle: false,
    minify: true,
    legalComments: 'none',
    target: 'es2016',
    banner: { js: '/** regenerator-runtime v' + require('regenerator-runtime/package.json').version
        + ' (Meta Platforms, Inc. and affiliates; MIT license) */' },
    logLevel: 'warning',
});
