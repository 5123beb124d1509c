/** The function the workers bench calls in threads and processes (no effect import). */
export const echo = <T>(x: T): T => x
