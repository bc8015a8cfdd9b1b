/* libultracc.so is linked from the static client library; this file gives the target a source of
 * its own. */
#include "ultracc.h"
