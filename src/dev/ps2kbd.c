#include "dev/ps2kbd.h"

#include "core/console.h"
#include "core/time.h"
#include "cpu/cpu.h"
#include "irq/route.h"

/* 8042 ports, status bits and commands (IBM PS/2 technical reference; osdev's "8042" page). */
/* clang-format off: register bits stay indented under their register */
#define KBD_DATA 0x60
#define KBD_STATUS 0x64  /* read */
#define KBD_COMMAND 0x64 /* write */
#define STATUS_OUTPUT_FULL 0x01
#define STATUS_INPUT_FULL 0x02
#define CMD_READ_CONFIG 0x20
#define CMD_WRITE_CONFIG 0x60
#define CMD_WRITE_KBD_OUTPUT 0xd2
#define CONFIG_KBD_IRQ 0x01
#define KBD_WAIT_US 20000
#define KBD_IRQ 1
/* clang-format on */

static bool present;
static volatile uint64_t irqs;

bool ps2kbd_present(void) { return present; }
uint64_t ps2kbd_irqs(void) { return irqs; }

static bool wait_input_empty(void)
{
    uint64_t deadline = time_deadline_us(KBD_WAIT_US);
    while (inb(KBD_STATUS) & STATUS_INPUT_FULL)
        if (time_after(deadline))
            return false;
    return true;
}

static void handler(struct regs *r, void *data)
{
    (void)r, (void)data;
    if (inb(KBD_STATUS) & STATUS_OUTPUT_FULL)
        (void)inb(KBD_DATA); /* the byte: a scancode, or a test's injected byte */
    irqs++;
}

void ps2kbd_init(void)
{
    uint8_t status = inb(KBD_STATUS);
    if (status == 0xff) {
        kprintf("ps2: no 8042 controller (status reads 0xff); no keyboard");
        return;
    }
    for (int i = 0; i < 16 && (inb(KBD_STATUS) & STATUS_OUTPUT_FULL); i++)
        (void)inb(KBD_DATA); /* drop what the firmware left */
    if (!wait_input_empty())
        goto fail;
    outb(KBD_COMMAND, CMD_READ_CONFIG);
    uint64_t deadline = time_deadline_us(KBD_WAIT_US);
    while (!(inb(KBD_STATUS) & STATUS_OUTPUT_FULL))
        if (time_after(deadline))
            goto fail;
    uint8_t config = inb(KBD_DATA);
    if (!irq_request(KBD_IRQ, IRQ_PRIO_LOW, handler, NULL, "ps2 keyboard"))
        return;
    if (!wait_input_empty())
        goto fail;
    outb(KBD_COMMAND, CMD_WRITE_CONFIG);
    if (!wait_input_empty())
        goto fail;
    outb(KBD_DATA, config | CONFIG_KBD_IRQ);
    present = true;
    return;
fail:
    kprintf("ps2: warning: the 8042 controller does not answer; no keyboard");
}

bool ps2kbd_inject(uint8_t byte)
{
    if (!present || !wait_input_empty())
        return false;
    outb(KBD_COMMAND, CMD_WRITE_KBD_OUTPUT);
    if (!wait_input_empty())
        return false;
    outb(KBD_DATA, byte);
    return true;
}
