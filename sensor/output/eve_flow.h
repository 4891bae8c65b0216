/* eve_flow: the EVE `flow` record every flow ends with (Suricata's field
 * names, plus Canh's `ndpi` object). Called from the worker's flow-end
 * path, after nDPI has given its final verdict.
 */
#ifndef CANH_EVE_FLOW_H
#define CANH_EVE_FLOW_H

#include "classify/dpi_ndpi.h"
#include "flow/flow.h"
#include "output/eve_writer.h"

/* 0, or -1 when the record did not fit (counted by the eve_out). */
int eve_flow_log(struct eve_out *o, struct dpi *d, const struct flow *f, enum flow_end_reason r);

#endif
