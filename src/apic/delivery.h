/* The delivery mode: one 3-bit field in the ICR, the LVT entries, the I/O APIC's redirection
 * entries and an MSI's data register, the same codes in all four (SDM vol. 3A §11.5.1 and
 * figure 11-8, §11.6.1 and figure 11-12, §11.11.2; 82093AA datasheet §3.2.4).  Not every mode is
 * valid in every one: STARTUP is for the ICR only, ExtINT for LINT0 and the I/O APIC. */
#ifndef CADRE_DELIVERY_H
#define CADRE_DELIVERY_H

enum apic_delivery {
    DELIVERY_FIXED = 0,
    DELIVERY_LOWEST_PRIORITY = 1,
    DELIVERY_SMI = 2,
    /* 3 is reserved */
    DELIVERY_NMI = 4,
    DELIVERY_INIT = 5,
    DELIVERY_STARTUP = 6,
    DELIVERY_EXTINT = 7,
};

/* Bits 10:8 in each of the four */
#define APIC_DELIVERY_SHIFT 8

#endif
