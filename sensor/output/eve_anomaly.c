/* eve_anomaly: rate-limited `anomaly` events for decoder events, in
 * Suricata's shape: anomaly.{type:"decode", event, layer}.
 */
#include <string.h>

#include "output/eve_anomaly.h"

void eve_anomaly_init(struct eve_anomaly *a, uint32_t per_sec)
{
    memset(a, 0, sizeof(*a));
    a->per_sec = per_sec;
    for (int i = 0; i < DEC_EV_MAX; i++)
        a->sec[i] = -1;
}

static const char *eve_anomaly_layer(enum dec_event ev)
{
    if (ev <= DEC_EV_SLL_TRUNC)
        return "link";
    if (ev <= DEC_EV_IPV6_EXTHDR_TOO_MANY || ev >= DEC_EV_FRAG_OVERLAP)
        return "network";
    return "transport";
}

int eve_anomaly_log(struct eve_anomaly *a, struct eve_out *o, const struct packet *p,
                    const struct flow *f)
{
    enum dec_event ev = p->event;
    struct jb *j;

    if (ev <= DEC_EV_NONE || ev >= DEC_EV_MAX)
        return 0;
    if (a->sec[ev] != p->ts.tv_sec) {
        a->sec[ev] = p->ts.tv_sec;
        a->count[ev] = 0;
    }
    if (a->count[ev] >= a->per_sec) {
        a->suppressed++;
        return 0;
    }
    a->count[ev]++;
    j = eve_begin(o, "anomaly", f, p, p->ts);
    jb_open_object_k(j, JB_K("anomaly"));
    jb_str_k(j, JB_K("type"), "decode");
    jb_str_k(j, JB_K("event"), dec_event_name(ev));
    jb_str_k(j, JB_K("layer"), eve_anomaly_layer(ev));
    jb_close_object(j);
    if (eve_commit(o) != 0)
        return 0;
    a->logged++;
    return 1;
}
