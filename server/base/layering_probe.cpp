// Built only by the test server_layering_wrong_direction_fails, which passes when this does NOT compile:
// the probe links ferry-base alone, so a header of a higher layer must be out of its reach.
#include "parent/dispatcher.h"
