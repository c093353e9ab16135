/** The environment variable through which test workers learn the shared ensemble. */
export const SHARED_CONNECT_ENV = 'ZK_LAB_TEST_CONNECT';

/**
 * A short tick keeps failure tests fast: sessions may be 0.4–4 s, and a SIGKILLed
 * client's session expires within about one session timeout.
 */
export const TEST_TICK_TIME_MS = 200;
