/** Stands in for astronomia's earth position series (102 kB); see ../index.ts. */
export default {};
