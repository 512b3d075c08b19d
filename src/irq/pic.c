#include "irq/pic.h"

#include "cpu/cpu.h"

/* Ports and initialisation words (Intel 8259A datasheet, "programming the 8259A"). */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_ICW4 0x01 /* ICW4 follows */
#define ICW1_INIT 0x10
#define ICW3_MASTER_SLAVE_ON_IRQ2 0x04
#define ICW3_SLAVE_ID 0x02
#define ICW4_8086 0x01
#define OCW3_READ_ISR 0x0b
#define OCW2_EOI 0x20
#define PIC_MASK_ALL 0xff

/* The datasheet wants time between writes on old boards; port 0x80 is the customary pause. */
static void io_wait(void) { outb(0x80, 0); }

void pic_disable(void)
{
    outb(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
    io_wait();
    outb(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
    io_wait();
    outb(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector base */
    io_wait();
    outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
    io_wait();
    outb(PIC1_DATA, ICW3_MASTER_SLAVE_ON_IRQ2);
    io_wait();
    outb(PIC2_DATA, ICW3_SLAVE_ID);
    io_wait();
    outb(PIC1_DATA, ICW4_8086);
    io_wait();
    outb(PIC2_DATA, ICW4_8086);
    io_wait();
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
}

static uint8_t read_isr(uint16_t cmd_port)
{
    outb(cmd_port, OCW3_READ_ISR);
    return inb(cmd_port);
}

bool pic_spurious(unsigned vector)
{
    unsigned irq = vector - PIC_VECTOR_BASE;
    if (irq == 7)
        return !(read_isr(PIC1_CMD) & 0x80);
    if (irq == 15 && !(read_isr(PIC2_CMD) & 0x80)) {
        outb(PIC1_CMD, OCW2_EOI); /* the master did see IRQ 2 from the slave */
        return true;
    }
    return false;
}
