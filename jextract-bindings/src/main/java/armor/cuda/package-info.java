/** FFM bindings for cuSPARSELt (jextract style): see the GPU issue. */
package armor.cuda;
