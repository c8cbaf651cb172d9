/** Calibration, activation statistics, the pruning methods (magnitude, Wanda, SparseGPT, NoWag-P, ARMOR), checkpoint writing. */
package armor.pruner;
