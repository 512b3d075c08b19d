#include "apic/msi.h"

#include "cpu/cpu.h"
#include "lib/string.h"

/* Hypervisor CPUID leaves (Linux Documentation/virt/kvm/x86/cpuid.rst): 0x40000000 names the
 * hypervisor, 0x40000001 EAX has KVM's features. */
#define CPUID_HYPERVISOR_BIT (1u << 31) /* CPUID.1:ECX bit 31 */
#define CPUID_HV_BASE 0x40000000
#define CPUID_KVM_FEATURES 0x40000001
#define KVM_FEATURE_MSI_EXT_DEST_ID (1u << 15)

static int ext_dest = -1; /* unknown yet */

bool msi_ext_dest_id(void)
{
    if (ext_dest < 0) {
        bool kvm = false;
        if (cpuid(1, 0).ecx & CPUID_HYPERVISOR_BIT) {
            struct cpuid_regs r = cpuid(CPUID_HV_BASE, 0);
            char sig[13];
            memcpy(sig, &r.ebx, 4);
            memcpy(sig + 4, &r.ecx, 4);
            memcpy(sig + 8, &r.edx, 4);
            sig[12] = '\0';
            kvm = !memcmp(sig, "KVMKVMKVM", 9) && r.eax >= CPUID_KVM_FEATURES;
        }
        ext_dest = kvm && (cpuid(CPUID_KVM_FEATURES, 0).eax & KVM_FEATURE_MSI_EXT_DEST_ID);
    }
    return ext_dest;
}

uint32_t msi_dest_limit(void) { return msi_ext_dest_id() ? MSI_EXT_DEST_MAX : MSI_DEST_MAX; }

bool msi_compose(const struct msi *m, struct msi_msg *out)
{
    if (m->dest > msi_dest_limit())
        return false;
    uint32_t addr = MSI_ADDR_BASE | (m->dest & MSI_ADDR_DEST_MASK) << MSI_ADDR_DEST_SHIFT;
    /* Physical destination mode, no redirection hint: the message goes to exactly this CPU. */
    addr |= ((m->dest >> 8) & MSI_ADDR_EXT_DEST_MASK) << MSI_ADDR_EXT_DEST_SHIFT;
    uint32_t data = m->vector | (uint32_t)m->delivery << APIC_DELIVERY_SHIFT;
    if (m->level)
        data |= MSI_DATA_TRIGGER_LEVEL | MSI_DATA_LEVEL_ASSERT;
    *out = (struct msi_msg){ .addr_lo = addr, .addr_hi = 0, .data = data };
    return true;
}

uint32_t msi_msg_dest(const struct msi_msg *msg)
{
    return (msg->addr_lo >> MSI_ADDR_DEST_SHIFT & MSI_ADDR_DEST_MASK) |
           (msg->addr_lo >> MSI_ADDR_EXT_DEST_SHIFT & MSI_ADDR_EXT_DEST_MASK) << 8;
}
