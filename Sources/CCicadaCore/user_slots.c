/* A worker's users: slots in one contiguous array, spawning in batches, retiring the newest first,
 * and stopping or cancelling them all. Worker thread only.
 *
 * Each class keeps a list of its users not yet retired, oldest first, threaded through the users
 * themselves (class_prev, class_next), so that retiring N users costs N steps however many users the
 * worker holds: a ramp-down from thousands of users must not rescan the array once per user. */
#include "transport.h"

#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

size_t cc__user_stride(uint32_t lanes) {
    size_t size = sizeof(cc__user_t) + (size_t)lanes * sizeof(cc__lane_t);
    size_t align = _Alignof(max_align_t);
    return (size + align - 1) / align * align;
}

/* ---- the classes' lists --------------------------------------------------------------------------- */

static void cc__class_append(cc__worker_t *w, cc__user_t *u, uint32_t user_class) {
    u->class_next = CC__NO_USER;
    u->class_prev = w->class_newest[user_class];
    if (u->class_prev != CC__NO_USER)
        cc__user_at(w, u->class_prev)->class_next = u->index;
    else
        w->class_oldest[user_class] = u->index;
    w->class_newest[user_class] = u->index;
    u->listed = 1;
}

static void cc__class_remove(cc__worker_t *w, cc__user_t *u) {
    if (!u->listed) return;
    uint32_t user_class = u->lanes[0].machine.user_class;
    if (u->class_prev != CC__NO_USER)
        cc__user_at(w, u->class_prev)->class_next = u->class_next;
    else
        w->class_oldest[user_class] = u->class_next;
    if (u->class_next != CC__NO_USER)
        cc__user_at(w, u->class_next)->class_prev = u->class_prev;
    else
        w->class_newest[user_class] = u->class_prev;
    u->listed = 0;
}

/* ---- slots ---------------------------------------------------------------------------------------- */

static void cc__release_slot(cc__user_t *u) {
    cc__worker_t *w = u->worker;
    u->slot = CC__SLOT_FREE;
    if (u->tls.session != NULL) {
        SSL_SESSION_free(u->tls.session); /* the next user of this slot starts afresh */
        u->tls.session = NULL;
    }
    w->free_slots[w->free_count++] = u->index;
}

static cc__user_t *cc__acquire_slot(cc__worker_t *w) {
    if (w->free_count > 0) return cc__user_at(w, w->free_slots[--w->free_count]);
    if (w->high_water >= w->capacity) return NULL;
    cc__user_t *u = cc__user_at(w, w->high_water);
    u->index = w->high_water++;
    u->worker = w;
    u->lane_count = (uint8_t)w->lane_count;
    if (w->user_extras != NULL) {
        u->extra = (cc__user_extra_t *)(w->user_extras + (size_t)u->index * w->user_extra_stride);
        cc__user_extra_init(u->extra, w->plan, w->user_buffers + (size_t)u->index * w->user_buffer_stride);
        u->extra->context = (cc__inspect_context_t){.inspection = u->extra->inspection, .plan = w->plan,
                                                    .host = w->engine->host,
                                                    .secure = w->engine->options.tls.enabled};
    }
    for (uint32_t i = 0; i < u->lane_count; i++) {
        cc__lane_t *l = &u->lanes[i];
        cc__lane_init(l, u, i);
        if (w->lane_extras != NULL) {
            size_t lane = (size_t)u->index * w->lane_count + i;
            l->extra = (cc__lane_extra_t *)(w->lane_extras + lane * w->lane_extra_stride);
            cc__lane_extra_init(l->extra, w->plan, w->lane_buffers + lane * w->lane_buffer_stride);
        }
    }
    return u;
}

void cc__user_done(cc__user_t *u) {
    cc__class_remove(u->worker, u);
    if (u->worker->arrivals != NULL) u->worker->arrivals[u->lanes[0].machine.user_class].alive--;
    cc__counter_add(&u->worker->users_active, -1);
    u->slot = CC__SLOT_RELEASING;
    switch ((cc_connection_state_t)u->connection.state) {
    case CC_CONNECTION_OPEN:
    case CC_CONNECTION_CONNECTING: {
        cc_connection_event_t close = {.kind = CC_CONN_EVENT_CLOSE};
        cc__connection_event(u, &close); /* the slot is released when the close completes */
        break;
    }
    case CC_CONNECTION_CLOSING:
        break; /* likewise */
    case CC_CONNECTION_CLOSED:
        cc__release_slot(u);
        break;
    }
}

void cc__user_connection_closed(cc__user_t *u) {
    if (u->slot == CC__SLOT_RELEASING && u->connection.state == CC_CONNECTION_CLOSED) cc__release_slot(u);
}

/* ---- spawning ------------------------------------------------------------------------------------- */

/* Numbers a new user (a worker's k-th user of a class is the class's user k*N + w across N workers,
 * because each class's users are dealt to the workers in turn) and gives it its data row. */
static void cc__user_extra_start(cc__worker_t *w, cc__user_t *u, uint32_t user_class, uint64_t serial) {
    const cc_plan_t *plan = w->plan;
    const uint32_t workers = w->engine->worker_count;
    cc__user_extra_t *x = u->extra;
    x->user_id = serial * workers + w->index + 1;
    x->user_index = w->class_serial[user_class]++ * workers + w->index;
    x->has_row = 0;
    x->no_row = 0;
    x->inspecting = 0;
    if (x->inspection != NULL) cc__inspection_clear(x->inspection);
    const cc__user_class_t *uc = &plan->classes[user_class];
    if (uc->data_table < 0) return;
    const uint32_t rows = plan->data_tables[uc->data_table].row_count;
    switch ((cc_data_mode_t)uc->data_mode) {
    case CC_DATA_PER_USER:
        if (x->user_index >= rows && !uc->data_recycle) {
            x->no_row = 1;
            return;
        }
        x->row = (uint32_t)(x->user_index % rows);
        break;
    case CC_DATA_ROUND_ROBIN:
        x->row = (uint32_t)(x->user_index % rows);
        break;
    case CC_DATA_RANDOM: {
        uint64_t state = (w->engine->options.seed ^ (x->user_id * 0x9E3779B97F4A7C15ull)) | 1u;
        x->row = (uint32_t)cc__random_below(&state, rows);
        break;
    }
    }
    x->has_row = 1;
}

int cc__worker_start_user(cc__worker_t *w, uint32_t user_class, uint64_t handed_due_ns) {
    cc__user_t *u = cc__acquire_slot(w);
    if (u == NULL) return -1; /* the control thread checks capacity; this is a last line of defence */
    u->slot = CC__SLOT_ACTIVE;
    cc_connection_machine_init(&u->connection);
    u->writes_pending = 0;
    u->tcp_connected = 0;
    u->lanes_active = u->lane_count;
    cc__counter_add(&w->users_active, 1);
    uint64_t serial = w->spawn_serial++;
    if (u->extra != NULL) cc__user_extra_start(w, u, user_class, serial);
    for (uint32_t i = 0; i < u->lane_count; i++) {
        cc__lane_t *l = &u->lanes[i];
        l->busy = 0;
        l->timer_purpose = CC__TIMER_NONE;
        l->write_pending = 0;
        l->stopped = 0;
        l->handed_due_ns = i == 0 ? handed_due_ns : 0;
        uint64_t seed = w->engine->options.seed ^ ((uint64_t)w->index << 48) ^ (serial << 6) ^ i;
        cc_user_machine_init(&l->machine, user_class, seed);
        if (l->extra != NULL) {
            if (w->plan->variable_count > 0) cc__store_clear(&l->extra->store, w->plan);
            l->extra->use_rendered = 0;
            l->extra->random = (seed * 0x9E3779B97F4A7C15ull) | 1u;
        }
    }
    cc__class_append(w, u, user_class);
    if (w->arrivals != NULL) w->arrivals[user_class].alive++;
    for (uint32_t i = 0; i < u->lane_count && u->slot == CC__SLOT_ACTIVE; i++)
        cc__lane_event(&u->lanes[i], CC_EVENT_START, 0);
    return 0;
}

static void cc__on_spawn_timer(uv_timer_t *timer) {
    cc__worker_t *w = timer->data;
    if (!w->stopping) cc__worker_spawn_batch(w);
}

/* Starts at most one batch of the pending users, the classes interleaved, and comes back on the next
 * loop turn for the rest. A batch also ends after CC__SPAWN_SLICE_NS: with many ports in TIME-WAIT a
 * connect() can take a millisecond, and the users already running must not wait on the spawn. */
void cc__worker_spawn_batch(cc__worker_t *w) {
    uint32_t started = 0, classes = w->plan->class_count;
    uint64_t deadline = cc_clock_now_ns() + CC__SPAWN_SLICE_NS;
    int more = 1;
    while (more && started < CC__SPAWN_BATCH) {
        more = 0;
        for (uint32_t c = 0; c < classes && started < CC__SPAWN_BATCH; c++) {
            if (w->spawn_pending[c] == 0) continue;
            w->spawn_pending[c]--;
            cc__worker_start_user(w, c, 0);
            started++;
            more |= w->spawn_pending[c] > 0;
        }
        if (cc_clock_now_ns() > deadline) break;
    }
    for (uint32_t c = 0; c < classes; c++) {
        if (w->spawn_pending[c] > 0) {
            uv_timer_start(&w->spawn_timer, cc__on_spawn_timer, 0, 0);
            return;
        }
    }
}

/* ---- retiring and stopping ------------------------------------------------------------------------ */

/* Every lane stops after its current request; a waiting lane stops now. */
static void cc__user_retire(cc__user_t *u, int now) {
    cc__class_remove(u->worker, u);
    for (uint32_t i = 0; i < u->lane_count && u->slot == CC__SLOT_ACTIVE; i++) {
        const cc__lane_t *l = &u->lanes[i];
        if (l->stopped || (l->machine.retiring && (!now || l->machine.no_on_stop_))) continue;
        cc__lane_event(&u->lanes[i], CC_EVENT_RETIRE, now ? CC__LANE_NOW : 0);
    }
}

void cc__worker_retire(cc__worker_t *w, uint32_t user_class, uint32_t count) {
    /* Users not started yet go first. */
    uint32_t unstarted = w->spawn_pending[user_class] < count ? w->spawn_pending[user_class] : count;
    w->spawn_pending[user_class] -= unstarted;
    count -= unstarted;
    /* Then the newest (Locust also stops the newest users). */
    while (count > 0 && w->class_newest[user_class] != CC__NO_USER) {
        count--;
        cc__user_retire(cc__user_at(w, w->class_newest[user_class]), 0);
    }
}

void cc__worker_stop_all(cc__worker_t *w) {
    w->stopping = 1;
    if (w->arrivals != NULL) cc__arrival_stop(w);
    memset(w->spawn_pending, 0, w->plan->class_count * sizeof *w->spawn_pending);
    uv_timer_stop(&w->spawn_timer);
    for (uint32_t i = 0; i < w->high_water; i++) {
        cc__user_t *u = cc__user_at(w, i);
        if (u->slot == CC__SLOT_ACTIVE) cc__user_retire(u, 0);
    }
}

/* Requests sent, or waiting for their connection, end as cancelled; then every lane has stopped. */
void cc__worker_cancel_all(cc__worker_t *w) {
    for (uint32_t i = 0; i < w->high_water; i++) {
        cc__user_t *u = cc__user_at(w, i);
        if (u->slot != CC__SLOT_ACTIVE) continue;
        cc__user_retire(u, 1);
        if (u->slot == CC__SLOT_ACTIVE) cc__connection_cancel(u);
    }
}

void cc__worker_free_users(cc__worker_t *w) {
    for (uint32_t i = 0; w->users != NULL && i < w->high_water; i++) {
        cc__user_t *u = cc__user_at(w, i);
        if (u->tls.ssl != NULL) SSL_free(u->tls.ssl);
        if (u->tls.session != NULL) SSL_SESSION_free(u->tls.session);
        free(u->tls.pending);
    }
}
