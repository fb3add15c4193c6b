/**
 * Runs the test of examples/testing/ (the README's "Testing your server"):
 * importing it registers its tests here, on whichever runtime runs this file.
 */

import "../../examples/testing/greeter_test.ts";
