/**
 * @file
 * lwIP's tcpip thread for the Check programs that run the real one
 * (a netif driver's hand-off to it, its timers).
 */
#ifndef CHECKTCPIP_H
#define CHECKTCPIP_H

/** Starts lwIP (tcpip_init()) and returns once its tcpip thread runs. */
void checktcpip_start(void);

#endif /* CHECKTCPIP_H */
