#include "waybill/common.h"

#ifndef WAYBILL_VERSION
#define WAYBILL_VERSION "0.0.0"
#endif

namespace waybill {
const char* version() { return WAYBILL_VERSION; }
}  // namespace waybill
