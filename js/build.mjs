// Build the dashboard's plotly.js bundle: node build.mjs <outfile>
// Reproducible: pinned esbuild + plotly.js (package-lock.json), no timestamps, same bytes for the same inputs.
import { build } from 'esbuild';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const outfile = process.argv[2];
if (!outfile) {
    console.error('usage: node build.mjs <outfile>');
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
    outfile,
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
