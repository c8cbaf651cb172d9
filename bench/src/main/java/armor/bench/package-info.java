/** Benchmarks: tokens/s of dense vs 2:4 vs ARMOR, memory bandwidth, kernel microbenchmarks, reports. */
package armor.bench;
