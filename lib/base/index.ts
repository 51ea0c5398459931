export * from './units.js';
export * from './pcm-format.js';
export * from './errors.js';
export * from './logger.js';
export * from './live-stream.js';
