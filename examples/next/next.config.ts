import type { NextConfig } from 'next';

// Empty on purpose: drizzle-pgstore needs no serverExternalPackages, under Turbopack or webpack.
const config: NextConfig = {};
export default config;
