/* The message a device writes to raise a message-signalled interrupt (MSI, MSI-X): an address
 * in the local APICs' range that names the CPU, and a data word that names the vector (SDM
 * vol. 3A §11.11, figures 11-24 and 11-25).  Built from fields as the SDM names them, like the
 * ICR (ipi.h) and the I/O APIC's redirection entries (ioapic.h):
 *     msi_compose(&(struct msi){ .dest = apic_id, .vector = v, .delivery = DELIVERY_FIXED }, &msg);
 */
#ifndef CADRE_MSI_H
#define CADRE_MSI_H

#include "apic/delivery.h"
#include "lib/compiler.h"

/* Message address register (§11.11.1) */
#define MSI_ADDR_BASE 0xfee00000u /* bits 31:20 are 0xFEE */
#define MSI_ADDR_DEST_SHIFT 12    /* bits 19:12: destination ID */
#define MSI_ADDR_DEST_MASK 0xffu
#define MSI_ADDR_REDIRECTION_HINT 0x8 /* bit 3: RH */
#define MSI_ADDR_DEST_LOGICAL 0x4     /* bit 2: DM */
/* KVM's extended destination ID (KVM_FEATURE_MSI_EXT_DEST_ID, Linux
 * Documentation/virt/kvm/x86/cpuid.rst): bits 11:5 of the address carry destination bits
 * 14:8, where the SDM keeps them reserved. */
#define MSI_ADDR_EXT_DEST_SHIFT 5
#define MSI_ADDR_EXT_DEST_MASK 0x7fu
#define MSI_EXT_DEST_MAX 0x7fff

/* Message data register (§11.11.2) */
#define MSI_DATA_VECTOR_MASK 0xffu
#define MSI_DATA_LEVEL_ASSERT 0x4000  /* bit 14: for level-triggered messages */
#define MSI_DATA_TRIGGER_LEVEL 0x8000 /* bit 15 */

/* The highest APIC ID a plain message can name: 8 bits, and 0xff is the broadcast in physical
 * mode (§11.6.2.1), as for the I/O APIC (RTE_DEST_MAX). */
#define MSI_DEST_MAX 0xfe

/* Delivery modes: those of the ICR (§11.6.1), and the same encoding. */

struct msi {
    uint32_t dest; /* physical APIC ID */
    uint8_t vector;
    enum apic_delivery delivery;
    bool level; /* cadre's messages are all edge */
};

struct msi_msg {
    uint32_t addr_lo, addr_hi, data;
};

/* Whether the hypervisor takes destinations above 255 in the extended ID bits (KVM's CPUID
 * 0x40000001 EAX bit 15); asked once. */
bool msi_ext_dest_id(void);
/* The largest APIC ID a message can name here: MSI_DEST_MAX, or MSI_EXT_DEST_MAX with KVM's
 * extended destination ID. */
uint32_t msi_dest_limit(void);
/* Builds the message; returns false (and builds nothing) for a destination it cannot name. */
bool msi_compose(const struct msi *m, struct msi_msg *out);
/* The APIC ID and vector a message names (for the console and the tests). */
uint32_t msi_msg_dest(const struct msi_msg *msg);
static inline uint8_t msi_msg_vector(const struct msi_msg *msg)
{
    return msg->data & MSI_DATA_VECTOR_MASK;
}

#endif
