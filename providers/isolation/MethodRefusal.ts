// A refusal a provider decides itself, before the domain is asked: the method's return code and the
// sentence its out parameter Reason carries.

export class MethodRefusal extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** 4 Invalid Parameter, the code of DSP1042's ValueMaps for input the method cannot use. */
export const invalidParameter = (text: string): MethodRefusal => new MethodRefusal(4, text);
